// SPDX-License-Identifier: Apache-2.0
// Publishes several Ocean assets (data NFT + datatoken + metadata) in ONE transaction, so that the indexer's
// handling of multi-asset transactions can be tested against the real factory. Test tooling only.
pragma solidity ^0.8.20;

struct NftCreateData {
    string name;
    string symbol;
    uint256 templateIndex;
    string tokenURI;
    bool transferable;
    address owner;
}

struct ErcCreateData {
    uint256 templateIndex;
    string[] strings;
    address[] addresses;
    uint256[] uints;
    bytes[] bytess;
}

struct MetadataProof {
    address validatorAddress;
    uint8 v;
    bytes32 r;
    bytes32 s;
}

struct AssetRequest {
    string name;
    string symbol;
    string tokenURI;
    string decryptorUrl;
    bytes flags;
    bytes data;
    bytes32 metaDataHash;
}

interface IOceanFactory {
    function createNftWithErc20(NftCreateData calldata nft, ErcCreateData calldata erc)
        external
        returns (address nftAddress, address datatoken);
}

interface IOceanNft {
    function setMetaData(
        uint8 state,
        string calldata decryptorUrl,
        string calldata decryptorAddress,
        bytes calldata flags,
        bytes calldata data,
        bytes32 metaDataHash,
        MetadataProof[] memory proofs
    ) external;

    function transferFrom(address from, address to, uint256 tokenId) external;
}

contract BatchPublisher {
    event AssetPublished(address indexed nft, address indexed datatoken);

    function publish(address factory, AssetRequest[] calldata assets, address owner)
        external
        returns (address[] memory nfts)
    {
        nfts = new address[](assets.length);
        for (uint256 i = 0; i < assets.length; i++) {
            nfts[i] = _publishOne(IOceanFactory(factory), assets[i], owner);
        }
    }

    function _publishOne(IOceanFactory factory, AssetRequest calldata asset, address owner)
        internal
        returns (address nft)
    {
        string[] memory strings = new string[](2);
        strings[0] = asset.name;
        strings[1] = asset.symbol;
        address[] memory addresses = new address[](4);
        addresses[0] = address(this);
        addresses[2] = owner;
        uint256[] memory uints = new uint256[](2);
        uints[0] = type(uint256).max;
        address datatoken;
        (nft, datatoken) = factory.createNftWithErc20(
            NftCreateData(asset.name, asset.symbol, 1, asset.tokenURI, true, address(this)),
            ErcCreateData(1, strings, addresses, uints, new bytes[](0))
        );
        IOceanNft(nft).setMetaData(
            0, asset.decryptorUrl, "0x", asset.flags, asset.data, asset.metaDataHash, new MetadataProof[](0)
        );
        IOceanNft(nft).transferFrom(address(this), owner, 1);
        emit AssetPublished(nft, datatoken);
    }

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }
}
